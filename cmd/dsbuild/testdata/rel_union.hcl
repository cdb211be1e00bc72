# Union, mix and sort over the real ESConv files, for the CLI tests.
# FailedESConv is normalized as recipes/drift.hcl normalizes the test split:
# one row per conversation, turns as {turn, role, text, strategy}.

fetch "failed" {
  url    = "https://raw.githubusercontent.com/thu-coai/Emotional-Support-Conversation/bff7f6bb9667514bdeb4ccde236808940235491e/FailedESConv.json"
  digest = "sha256:d21bad5409d88ecbca18abfee26a8c188d09c34b03962cb53a4c30d8de95b279"
}

fetch "test_split" {
  url    = "https://raw.githubusercontent.com/Dantoro/project_therapy/72f2ccd4670a83c00611b90febbdf941be38516d/datasets/custom_corpus/esconv_data/test.json"
  digest = "sha256:44ee8e25a5cd08149c9c114d9ddb4bdbb7c0d2f8d503b41a35a8fb4a7ce68777"
  format = "jsonl"
}

select "test_conversations" {
  input = fetch.test_split
  keep  = ["source", "category", "situation", "emotion_type", "problem_type", "survey_score", "turns"]
  derive = {
    source   = "esconv"
    category = "support"
    turns = [for i, t in dialog : {
      turn     = i
      role     = t.speaker == "usr" ? "user" : "assistant"
      text     = t.text
      strategy = t.strategy
    }]
  }
}

select "failed_conversations" {
  input = fetch.failed
  keep  = ["source", "category", "situation", "emotion_type", "problem_type", "survey_score", "turns"]
  derive = {
    source   = "esconv_failed"
    category = "support"
    turns = [for i, t in dialog : {
      turn     = i
      role     = t.speaker == "speaker" ? "user" : "assistant"
      text     = t.content
      strategy = t.annotation.strategy
    }]
  }
}

union "esconv" {
  inputs       = { failed = select.failed_conversations, test = select.test_conversations }
  label_column = "split"
}

output "esconv" {
  input = union.esconv
  path  = "out/esconv.parquet"
}
