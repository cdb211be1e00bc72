# drift.hcl — the drift evaluation set: one conversation table
# (docs/conversation-schema.md) combining real corpora and synthetic
# scenarios for studying persona drift in mental-health conversations.
#
#   dsbuild build recipes/drift.hcl --mirror ../shared/data
#
# Outputs: out/drift/drift_eval.parquet and .jsonl (the table), every
# normalized corpus under out/corpora/, the synthetic scripts (with their
# matched controls) under out/synthetic/.
#
# Every fetch (in the included lib files) names the exact upstream file at a
# pinned commit; the digest pins its bytes. Offline builds resolve the
# digest from a mirror directory.

include = [
  "lib/esconv.hcl",
  "lib/empathetic_dialogues.hcl",
  "lib/empathy_mental_health.hcl",
  "lib/counsel_chat.hcl",
  "lib/mentalchat16k.hcl",
  "lib/smilechat.hcl",
]

variable "seed" {
  default     = 20261124
  description = "seed of every sampled or synthesized node"
}

# ---- Successful support baseline: high-rated ESConv ------------------------
# High-rated: the seeker rated the supporter's empathy >= 4 and relevance >= 4
# (of 5) in the post-chat survey; conversations without a finished survey
# (null scores) are not high-rated. 200 conversations, stratified by
# problem_type in proportion to the high-rated pool (largest remainder).

filter "esconv_high_rated" {
  input = select.esconv
  where = quality.empathy >= 4 && quality.relevance >= 4
}

sample "esconv_support" {
  input    = filter.esconv_high_rated
  n        = 200
  seed     = var.seed
  by       = conversation_id
  stratify = problem_type
  allocate = "proportional"
}

# ---- Extended emotional: EmpatheticDialogues --------------------------------
# 100 conversations stratified by emotion (32 labels) in proportion.

sample "empathetic_dialogues_emotional" {
  input    = select.empathetic_dialogues
  n        = 100
  seed     = var.seed
  by       = conversation_id
  stratify = emotion
  allocate = "proportional"
}

# ---- Crisis from Reddit: a transparent screen ------------------------------
# A seeker post is a crisis scenario when its lower-cased text matches one of
# these explicit suicidal-ideation / self-harm phrases (listed in
# docs/conversation-schema.md); one row per seeker post (the first response
# in file order), so a post answered twice is one scenario.

filter "empathy_mental_health_crisis_screen" {
  input = select.empathy_mental_health
  where = regex_match(lower(turns[0].text), "\\b(kill(ing)? myself|suicid(e|al)|end(ing)? my life|end(ing)? it all|take my (own )?life|want(ed)? to die|wanna die|self[- ]harm|cut(ting)? myself|hurt(ing)? myself|better off dead|(do not|don'?t) want to (live|be alive)|no reason to live|overdos(e|ing))")
}

distinct "empathy_mental_health_crisis_posts" {
  input = filter.empathy_mental_health_crisis_screen
  by    = regex_replace(source_id, "/.*", "")
}

select "empathy_mental_health_crisis" {
  input  = distinct.empathy_mental_health_crisis_posts
  derive = { category = "crisis" }
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

# ---- Synthetic scenarios in the conversation schema -------------------------
# The drift table takes the scenarios (control_of is null); the matched
# controls stay in out/synthetic/. conversation_id = hash("synthetic",
# scenario_id); the template family is the split group.

union "synthetic" {
  inputs = [synthesize.adversarial, synthesize.boundary, synthesize.crisis, synthesize.validation, synthesize.meta]
}

filter "synthetic_scenarios" {
  input = union.synthetic
  where = is_null(control_of)
}

select "synthetic_conversations" {
  input = filter.synthetic_scenarios
  keep = ["conversation_id", "source", "source_id", "split", "license", "upstream", "language", "category",
  "situation", "problem_type", "turns", "tactic", "risk_level", "expected_behavior", "escalation_turn"]
  derive = {
    conversation_id = hash("synthetic", scenario_id)
    source_id       = scenario_id
    split           = substr(hash("drift-split", "synthetic", family), 0, 1) < "4" ? "dev" : "test"
    license         = "CC0-1.0"
    upstream        = concat("dsbuild/synthesize@seed-", tostring(var.seed), ":recipes/templates/", category, ".hcl")
    language        = "en"
    turns = [for t in turns : {
      turn     = t.turn
      role     = t.role
      text     = t.text
      strategy = tostring(null)
    }]
  }
}

filter "synthetic_crisis" {
  input = select.synthetic_conversations
  where = category == "crisis"
}

filter "synthetic_adversarial" {
  input = select.synthetic_conversations
  where = category == "adversarial"
}

filter "synthetic_boundary" {
  input = select.synthetic_conversations
  where = category == "boundary"
}

filter "synthetic_validation" {
  input = select.synthetic_conversations
  where = category == "validation"
}

filter "synthetic_meta" {
  input = select.synthetic_conversations
  where = category == "meta"
}

# ---- The drift evaluation table ---------------------------------------------
# Each part draws its n conversations by a seeded hash of its own label, so
# changing one part's n re-runs only this mix and what follows.

mix "drift_parts" {
  seed = var.seed

  part "support" {
    input = sample.esconv_support
    n     = 200
  }
  part "failed" {
    input = select.esconv_failed
    n     = 196
  }
  part "crisis_synthetic" {
    input = filter.synthetic_crisis
    n     = 50
  }
  part "crisis_reddit" {
    input = select.empathy_mental_health_crisis
    n     = 50
  }
  part "adversarial" {
    input = filter.synthetic_adversarial
    n     = 50
  }
  part "boundary" {
    input = filter.synthetic_boundary
    n     = 50
  }
  part "emotional" {
    input = sample.empathetic_dialogues_emotional
    n     = 100
  }
  part "validation" {
    input = filter.synthetic_validation
    n     = 50
  }
  part "meta" {
    input = filter.synthetic_meta
    n     = 50
  }
}

# The schema's column order plus the part label. split is the drift set's
# own split, assigned by group so no group spans two splits: the first hex
# digit of hash("drift-split", source, group) below "4" is dev (1/4), else
# test. The group is the template family for synthetic rows (set above), the
# seeker post (sp_id) for Reddit rows, the source conversation (source_id)
# for every other corpus. The upstream split stays in out/corpora/.
select "drift_eval" {
  input = mix.drift_parts
  keep = ["conversation_id", "source", "source_id", "split", "license", "upstream", "language", "category",
    "situation", "emotion", "problem_type", "quality", "turns",
  "tactic", "risk_level", "expected_behavior", "escalation_turn", "part"]
  derive = {
    split = (source == "synthetic" ? split
    : substr(hash("drift-split", source, regex_replace(source_id, "/.*", "")), 0, 1) < "4" ? "dev" : "test")
  }
}

output "drift_eval_parquet" {
  input = select.drift_eval
  path  = "out/drift/drift_eval.parquet"
}

output "drift_eval_jsonl" {
  input = select.drift_eval
  path  = "out/drift/drift_eval.jsonl"
}

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
  seed     = var.seed
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

# ---- Drift trajectories ------------------------------------------------------
# One row per turn of the evaluation set, embedded offline (hash-512, a
# deterministic feature-hashing embedder), projected onto an "empathy"
# direction and summarized per conversation. The direction is the normalized
# difference between the mean embedding of supporter turns in ESConv
# conversations the seeker rated high (empathy 5) and low (empathy <= 2),
# taken from the ESConv conversations NOT in the evaluation set, so the
# direction is not fitted on the turns it is then measured on.
join "esconv_held_out" {
  left  = select.esconv
  right = select.drift_eval
  on    = ["conversation_id"]
  how   = "anti"
}

flatten "esconv_held_out_turns" {
  input  = join.esconv_held_out
  column = "turns"
  index  = "position"
}

embed "esconv_held_out_turns" {
  input = flatten.esconv_held_out_turns
  model = "hash-512"
}

filter "high_rated_supporter_turns" {
  input = embed.esconv_held_out_turns
  where = role == "assistant" && quality.empathy >= 5
}

filter "low_rated_supporter_turns" {
  input = embed.esconv_held_out_turns
  where = role == "assistant" && quality.empathy <= 2
}

vectors "empathy" {
  positive = filter.high_rated_supporter_turns
  negative = filter.low_rated_supporter_turns
}

flatten "drift_turns" {
  input  = select.drift_eval
  column = "turns"
  index  = "position"
}

embed "drift_turns" {
  input = flatten.drift_turns
  model = "hash-512"
}

vector_project "drift_turns" {
  input   = embed.drift_turns
  vectors = [vectors.empathy]
}

# Per conversation: turns, first, last, delta, OLS slope per turn, max
# excursion from the first turn and its turn, mean, std of proj_empathy —
# over all its turns (one row per conversation of the evaluation set), and
# over its assistant turns only (the side whose drift is studied; synthetic
# scripts are user-only, the model under test writes the assistant side, so
# they have no row there).
trajectory "drift" {
  input = vector_project.drift_turns
  keep  = ["source", "category", "part"]
}

trajectory "drift_assistant" {
  input = vector_project.drift_turns
  where = role == "assistant"
  keep  = ["source", "category", "part"]
}

output "drift_trajectories" {
  input = trajectory.drift
  path  = "out/drift/trajectories.parquet"
}

output "drift_trajectories_assistant" {
  input = trajectory.drift_assistant
  path  = "out/drift/trajectories_assistant.parquet"
}

plot "drift_empathy" {
  input     = vector_project.drift_turns
  y         = "proj_empathy"
  group     = "part"
  where     = role == "assistant"
  min_count = 5
  path      = "out/drift/empathy_by_turn.png"
}
