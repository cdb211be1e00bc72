
# ---- Dataset card (issue 11, item 4) ----------------------------------------
# README.md (Hugging Face dataset card) and croissant.json (Croissant 1.0),
# beside the files they describe. Their sha256 are the lock's digests of those
# outputs (a card reads its data_files' lock records), and both are outputs in
# the lock themselves, so `dsbuild verify` checks them too.
variable "drift_citations" {
  default = [
    "@inproceedings{liu-etal-2021-towards,\n  title     = {Towards Emotional Support Dialog Systems},\n  author    = {Liu, Siyang and Zheng, Chujie and Demasi, Orianna and Sabour, Sahand and Li, Yu and Yu, Zhou and Jiang, Yong and Huang, Minlie},\n  booktitle = {Proceedings of the 59th Annual Meeting of the Association for Computational Linguistics},\n  year      = {2021}\n}",
    "@inproceedings{rashkin-etal-2019-towards,\n  title     = {Towards Empathetic Open-domain Conversation Models: A New Benchmark and Dataset},\n  author    = {Rashkin, Hannah and Smith, Eric Michael and Li, Margaret and Boureau, Y-Lan},\n  booktitle = {Proceedings of the 57th Annual Meeting of the Association for Computational Linguistics},\n  year      = {2019}\n}",
    "@inproceedings{sharma-etal-2020-computational,\n  title     = {A Computational Approach to Understanding Empathy Expressed in Text-Based Mental Health Support},\n  author    = {Sharma, Ashish and Miner, Adam S. and Atkins, David C. and Althoff, Tim},\n  booktitle = {Proceedings of the 2020 Conference on Empirical Methods in Natural Language Processing},\n  year      = {2020}\n}",
  ]
}

card "drift_readme" {
  input           = select.drift_eval
  data_files      = [output.drift_eval_parquet, output.drift_eval_jsonl]
  path            = "out/drift/README.md"
  title           = "Drift evaluation set"
  description     = "Conversations for evaluating drift in emotional-support dialogue: high-rated and failed ESConv support conversations, EmpatheticDialogues, Empathy-Mental-Health Reddit crisis posts, and seeded synthetic crisis, adversarial, boundary, validation-seeking and meta-reflective scenarios (user-side scripts). Research use only: ESConv and EmpatheticDialogues are CC BY-NC 4.0, the Reddit data is under a non-commercial academic license."
  citations       = var.drift_citations
  task_categories = ["text-generation", "text-classification"]
  mirror          = "../shared/data"
}

card "drift_croissant" {
  input       = select.drift_eval
  data_files  = [output.drift_eval_parquet, output.drift_eval_jsonl]
  path        = "out/drift/croissant.json"
  title       = "Drift evaluation set"
  description = "Conversations for evaluating drift in emotional-support dialogue (ESConv, EmpatheticDialogues, Empathy-Mental-Health Reddit, synthetic scenarios). Research use only."
  citations   = var.drift_citations
}

# ---- Review sheet (issue 11, item 5) ----------------------------------------
# 50 conversations, the same number from every (part, tactic) stratum as far
# as strata hold them (allocate = "equal"), drawn by conversation with the seed.
sample "drift_review" {
  input    = select.drift_eval
  n        = 50
  seed     = 20261124
  by       = conversation_id
  stratify = [part, tactic]
  allocate = "equal"
}

review "drift" {
  input  = sample.drift_review
  path   = "out/drift/review.html"
  title  = "Drift evaluation set: review of 50 conversations"
  labels = ["part", "source", "category", "split", "tactic", "risk_level", "expected_behavior", "escalation_turn", "situation", "emotion", "problem_type", "quality", "upstream"]
}

select "drift_review_template" {
  input = sample.drift_review
  keep  = ["conversation_id", "review_verdict", "review_note"]
  derive = {
    review_verdict = ""
    review_note    = ""
  }
}

output "drift_review_template" {
  input = select.drift_review_template
  path  = "out/drift/review_template.csv"
}

# Verdicts come back as a pinned input: save the page's export over
# review/verdicts.csv (committed with its header only: no verdicts yet), pin
# its sha256 here (sha256sum review/verdicts.csv) and rebuild. Only these
# four nodes run again. Blank verdicts are no verdicts (null after the join).
fetch "drift_verdicts" {
  url    = "../review/verdicts.csv"
  digest = "sha256:dfb27607b320c4598fb902894cbe42695ecaa40a8a97db85030eec7b4f35038a"
  format = "csv"
  schema = { conversation_id = "string", review_verdict = "string", review_note = "string" }
}

filter "drift_verdicts" {
  input = fetch.drift_verdicts
  where = review_verdict != ""
}

join "drift_reviewed" {
  left  = select.drift_eval
  right = filter.drift_verdicts
  on    = ["conversation_id"]
  how   = "left"
}

output "drift_eval_reviewed" {
  input = join.drift_reviewed
  path  = "out/drift/drift_eval_reviewed.parquet"
}
