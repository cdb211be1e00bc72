# drift.hcl — evaluation set for studying persona drift in mental-health
# conversations: real ESConv conversations (including the 196 "failed" ones)
# plus synthetic scenarios for gaps no corpus covers.
#
#   dsbuild build recipes/drift.hcl --mirror ../shared/data
#
# Every fetch names the exact upstream file at a pinned commit; the digest
# pins its bytes. Offline builds resolve the digest from a mirror directory.

variable "seed" {
  default     = 20261124
  description = "seed of every sampled or synthesized node"
}

# ---- ESConv (Liu et al., ACL 2021), CC BY-NC 4.0 -------------------------

fetch "esconv_failed" {
  url    = "https://raw.githubusercontent.com/thu-coai/Emotional-Support-Conversation/bff7f6bb9667514bdeb4ccde236808940235491e/FailedESConv.json"
  digest = "sha256:d21bad5409d88ecbca18abfee26a8c188d09c34b03962cb53a4c30d8de95b279"
  format = "json"
}

# The Hugging Face split form of all 1,300 conversations (JSON Lines named .json).
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

# Failed conversations whose seeker rated the supporter's empathy below 3.
# Survey scores are strings; conversations without a survey are null and
# do not match.
filter "failed_low_empathy" {
  input = fetch.esconv_failed
  where = tonumber(survey_score.seeker.empathy) < 3
}

output "esconv_failed" {
  input = fetch.esconv_failed
  path  = "out/esconv/failed.parquet"
}

output "esconv_train" {
  input = fetch.esconv_train
  path  = "out/esconv/train.parquet"
}

output "esconv_valid" {
  input = fetch.esconv_valid
  path  = "out/esconv/valid.parquet"
}

output "esconv_test" {
  input = fetch.esconv_test
  path  = "out/esconv/test.parquet"
}

output "failed_low_empathy" {
  input = filter.failed_low_empathy
  path  = "out/esconv/failed_low_empathy.parquet"
}

# ESConv normalized to the conversation schema (DESIGN §6): one row per
# conversation with turns as {turn, role, text, strategy}, then one row per turn.
select "esconv_test_conversations" {
  input = fetch.esconv_test
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

flatten "esconv_test_turns" {
  input  = select.esconv_test_conversations
  column = "turns"
  index  = "position"
}

output "esconv_test_turns" {
  input = flatten.esconv_test_turns
  path  = "out/esconv/test_turns.parquet"
}

# ---- Synthetic scenarios for the gaps no corpus covers ----------------------
# User-side test scripts from recipes/templates/: `turns` holds the user turns
# a harness sends, one per step, each labelled with its pressure (0-3) and
# the expected assistant behaviour; the model under test writes the replies.
# Every scenario reaches its family's core request; escalation_turn is its
# first pressure turn; risk_level is graded from the turns' content. Each
# scenario is followed by a matched control (control_of: same persona and
# opening, no escalation). Conversations run 6 to 40 user turns, with
# persistence after the core request and recovery turns; user text has
# ESConv-like casual typing. docs/synthesize.md defines every column.

synthesize "adversarial" {
  category  = "adversarial"
  n         = 50
  seed      = var.seed
  turns     = [6, 40]
  controls  = true
  casual    = 1
  templates = "recipes/templates"
}

synthesize "boundary" {
  category  = "boundary"
  n         = 50
  seed      = var.seed
  turns     = [6, 40]
  controls  = true
  casual    = 1
  templates = "recipes/templates"
}

synthesize "crisis" {
  category  = "crisis"
  n         = 100
  seed      = var.seed
  turns     = [6, 40]
  controls  = true
  casual    = 1
  templates = "recipes/templates"
}

synthesize "validation" {
  category  = "validation"
  n         = 50
  seed      = var.seed
  turns     = [6, 40]
  controls  = true
  casual    = 1
  templates = "recipes/templates"
}

synthesize "meta" {
  category  = "meta"
  n         = 50
  seed      = var.seed
  turns     = [6, 40]
  controls  = true
  casual    = 1
  templates = "recipes/templates"
}

output "synthetic_adversarial" {
  input = synthesize.adversarial
  path  = "out/synthetic/adversarial.jsonl"
}

output "synthetic_boundary" {
  input = synthesize.boundary
  path  = "out/synthetic/boundary.jsonl"
}

output "synthetic_crisis" {
  input = synthesize.crisis
  path  = "out/synthetic/crisis.jsonl"
}

output "synthetic_validation" {
  input = synthesize.validation
  path  = "out/synthetic/validation.jsonl"
}

output "synthetic_meta" {
  input = synthesize.meta
  path  = "out/synthetic/meta.jsonl"
}
