# A small recipe over the real ESConv files, for the CLI tests.
variable "threshold" {
  default = 3
}

fetch "failed" {
  url    = "https://raw.githubusercontent.com/thu-coai/Emotional-Support-Conversation/bff7f6bb9667514bdeb4ccde236808940235491e/FailedESConv.json"
  digest = "sha256:d21bad5409d88ecbca18abfee26a8c188d09c34b03962cb53a4c30d8de95b279"
}

fetch "test_split" {
  url    = "https://raw.githubusercontent.com/Dantoro/project_therapy/72f2ccd4670a83c00611b90febbdf941be38516d/datasets/custom_corpus/esconv_data/test.json"
  digest = "sha256:44ee8e25a5cd08149c9c114d9ddb4bdbb7c0d2f8d503b41a35a8fb4a7ce68777"
  format = "jsonl"
}

filter "low_empathy" {
  input = fetch.failed
  where = tonumber(survey_score.seeker.empathy) < var.threshold
}

flatten "utterances" {
  input  = fetch.test_split
  column = "dialog"
}

output "low_empathy" {
  input = filter.low_empathy
  path  = "out/low_empathy.parquet"
}

output "utterances" {
  input = flatten.utterances
  path  = "out/utterances.jsonl"
}
