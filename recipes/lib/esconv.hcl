# recipes/lib/esconv.hcl — ESConv (Liu et al., ACL 2021) in the conversation
# schema (docs/conversation-schema.md). CC BY-NC 4.0, research use only.
#
#   select.esconv         1,300 conversations of the Hugging Face splits
#                         (910 train / 195 valid / 195 test)
#   select.esconv_failed  the 196 "failed" conversations (FailedESConv.json)
#
# Include it from a recipe with include = ["lib/esconv.hcl"], or build it
# alone: dsbuild build recipes/lib/esconv.hcl --mirror ../shared/data
#
# Quirks handled (../shared/data/esconv/SOURCE.md): survey scores are
# strings (tonumber; missing fields are null); speakers are usr/sys in the
# splits and speaker/listener in FailedESConv (→ user/assistant); Failed's
# `content` keeps raw trailing newlines (trimmed); strategy spellings differ
# (Failed's spellings mapped to the splits'); the splits are JSON Lines
# named .json (format = "jsonl").

fetch "esconv_train" {
  url    = "https://raw.githubusercontent.com/Dantoro/project_therapy/72f2ccd4670a83c00611b90febbdf941be38516d/datasets/custom_corpus/esconv_data/train.json"
  digest = "sha256:e401fc5010879dfec7bb716caf072706877a6863dc9d775d39c7296d74feb4fc"
  format = "jsonl"
}

fetch "esconv_valid" {
  url    = "https://raw.githubusercontent.com/Dantoro/project_therapy/72f2ccd4670a83c00611b90febbdf941be38516d/datasets/custom_corpus/esconv_data/valid.json"
  digest = "sha256:4458152869827ed82e2f0f4a0cdc3e6c33b224f03353f9f1b4ed93d24730b531"
  format = "jsonl"
}

fetch "esconv_test" {
  url    = "https://raw.githubusercontent.com/Dantoro/project_therapy/72f2ccd4670a83c00611b90febbdf941be38516d/datasets/custom_corpus/esconv_data/test.json"
  digest = "sha256:44ee8e25a5cd08149c9c114d9ddb4bdbb7c0d2f8d503b41a35a8fb4a7ce68777"
  format = "jsonl"
}

fetch "esconv_failed" {
  url    = "https://raw.githubusercontent.com/thu-coai/Emotional-Support-Conversation/bff7f6bb9667514bdeb4ccde236808940235491e/FailedESConv.json"
  digest = "sha256:d21bad5409d88ecbca18abfee26a8c188d09c34b03962cb53a4c30d8de95b279"
  format = "json"
}

# The splits have no conversation id: source_id is the split and the line's
# 0-based position in its file ("train:0" ... "test:194").
select "esconv_train_ids" {
  input = fetch.esconv_train
  derive = {
    split     = "train"
    source_id = concat("train:", tostring(row_number()))
    upstream  = "Dantoro/project_therapy@72f2ccd4670a83c00611b90febbdf941be38516d:datasets/custom_corpus/esconv_data/train.json"
  }
}

select "esconv_valid_ids" {
  input = fetch.esconv_valid
  derive = {
    split     = "valid"
    source_id = concat("valid:", tostring(row_number()))
    upstream  = "Dantoro/project_therapy@72f2ccd4670a83c00611b90febbdf941be38516d:datasets/custom_corpus/esconv_data/valid.json"
  }
}

select "esconv_test_ids" {
  input = fetch.esconv_test
  derive = {
    split     = "test"
    source_id = concat("test:", tostring(row_number()))
    upstream  = "Dantoro/project_therapy@72f2ccd4670a83c00611b90febbdf941be38516d:datasets/custom_corpus/esconv_data/test.json"
  }
}

union "esconv_splits" {
  inputs = [select.esconv_train_ids, select.esconv_valid_ids, select.esconv_test_ids]
}

select "esconv" {
  input = union.esconv_splits
  keep = ["conversation_id", "source", "source_id", "split", "license", "upstream", "language", "category",
  "situation", "emotion", "problem_type", "quality", "turns"]
  derive = {
    conversation_id = hash("esconv", source_id)
    source          = "esconv"
    license         = "CC-BY-NC-4.0"
    language        = "en"
    category        = "support"
    situation       = trimspace(situation)
    emotion         = emotion_type
    quality = {
      empathy                   = tonumber(survey_score.seeker.empathy)
      relevance                 = tonumber(survey_score.seeker.relevance)
      initial_emotion_intensity = tonumber(survey_score.seeker.initial_emotion_intensity)
      final_emotion_intensity   = tonumber(survey_score.seeker.final_emotion_intensity)
    }
    turns = [for i, t in dialog : {
      turn     = i
      role     = t.speaker == "usr" ? "user" : "assistant"
      text     = trimspace(t.text)
      strategy = t.strategy
    }]
  }
}

# FailedESConv keeps the original ESConv.json schema: speaker/listener,
# `content`, annotation.strategy with older spellings. Questions → Question,
# Other → Others, Restatement → Restatement or Paraphrasing, Approval and
# Reassurance → Affirmation and Reassurance; Direct Guidance (11 turns) has
# no counterpart in the splits and is kept as it is. The array position is
# the only id ("failed:0" ... "failed:195").
select "esconv_failed" {
  input = fetch.esconv_failed
  keep = ["conversation_id", "source", "source_id", "split", "license", "upstream", "language", "category",
  "situation", "emotion", "problem_type", "quality", "turns"]
  derive = {
    source_id       = concat("failed:", tostring(row_number()))
    conversation_id = hash("esconv_failed", concat("failed:", tostring(row_number())))
    source          = "esconv_failed"
    split           = tostring(null)
    license         = "CC-BY-NC-4.0"
    upstream        = "thu-coai/Emotional-Support-Conversation@bff7f6bb9667514bdeb4ccde236808940235491e:FailedESConv.json"
    language        = "en"
    category        = "failed"
    situation       = trimspace(situation)
    emotion         = emotion_type
    quality = {
      empathy                   = tonumber(survey_score.seeker.empathy)
      relevance                 = tonumber(survey_score.seeker.relevance)
      initial_emotion_intensity = tonumber(survey_score.seeker.initial_emotion_intensity)
      final_emotion_intensity   = tonumber(survey_score.seeker.final_emotion_intensity)
    }
    turns = [for i, t in dialog : {
      turn = i
      role = t.speaker == "speaker" ? "user" : "assistant"
      text = trimspace(t.content)
      strategy = (t.annotation.strategy == "Questions" ? "Question"
        : t.annotation.strategy == "Other" ? "Others"
        : t.annotation.strategy == "Restatement" ? "Restatement or Paraphrasing"
        : t.annotation.strategy == "Approval and Reassurance" ? "Affirmation and Reassurance"
      : t.annotation.strategy)
    }]
  }
}

output "corpus_esconv" {
  input = select.esconv
  path  = "out/corpora/esconv.parquet"
}

output "corpus_esconv_failed" {
  input = select.esconv_failed
  path  = "out/corpora/esconv_failed.parquet"
}
