# The card and review fixture: a fabricated conversation table (see gen.py),
# written as Parquet and JSON Lines, described by a Hugging Face card and a
# Croissant file, and sampled into a 50-conversation review sheet.
fetch "conv" {
  url = "../data/conversations.jsonl"
}

output "drift_eval_parquet" {
  input = fetch.conv
  path  = "out/drift/drift_eval.parquet"
}

output "drift_eval_jsonl" {
  input = fetch.conv
  path  = "out/drift/drift_eval.jsonl"
}

card "drift_readme" {
  input           = fetch.conv
  data_files      = [output.drift_eval_parquet, output.drift_eval_jsonl]
  path            = "out/drift/README.md"
  title           = "Drift evaluation set (fixture)"
  description     = "A fabricated table in the conversation schema: <b>not</b> real data | for tests."
  citations       = ["@inproceedings{liu-etal-2021-towards,\n  title = {Towards Emotional Support Dialog Systems},\n  author = {Liu, Siyang and others},\n  booktitle = {ACL},\n  year = {2021}\n}"]
  task_categories = ["text-generation"]
  mirror          = "../shared/data"
}

card "drift_croissant" {
  input       = fetch.conv
  data_files  = [output.drift_eval_parquet, output.drift_eval_jsonl]
  path        = "out/drift/croissant.json"
  title       = "Drift evaluation set (fixture)"
  description = "A fabricated table in the conversation schema."
  citations   = ["@inproceedings{liu-etal-2021-towards,\n  title = {Towards Emotional Support Dialog Systems},\n  year = {2021}\n}"]
}

sample "review" {
  input    = fetch.conv
  n        = 50
  seed     = 20261124
  by       = conversation_id
  stratify = [part, tactic]
  allocate = "equal"
}

review "drift" {
  input  = sample.review
  path   = "out/drift/review.html"
  title  = "Drift set: review of 50 conversations"
  labels = ["part", "source", "category", "tactic", "risk_level", "expected_behavior", "escalation_turn", "situation", "emotion", "problem_type", "quality"]
}

select "review_template" {
  input = sample.review
  keep  = ["conversation_id", "review_verdict", "review_note"]
  derive = {
    review_verdict = ""
    review_note    = ""
  }
}

output "review_template" {
  input = select.review_template
  path  = "out/drift/review_template.csv"
}
