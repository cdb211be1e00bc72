# mentalchat16k.hcl — MentalChat16K (Xu et al.), the files we hold,
# normalized to the conversation schema (docs/conversation-schema.md).
#
#   dsbuild build recipes/lib/mentalchat16k.hcl --mirror ../shared/data
#
# NOT the released 16K files (not obtainable, see SOURCE.md): the authors'
# pre-release GPT-3.5 generation outputs, instructions.jsonl (1,580 rows)
# and instructions_with_topics.jsonl (779), from
# ChiaPatricia/MentalChat16K_Synthetic_Data_Generation@f404d18a. Neither
# repository licenses the data (the release's HF card says MIT), so
# license = "unknown".
#
# - instruction (synthetic client) → user turn, response (synthetic
#   counselor) → assistant turn; these files say instruction/response where
#   the release says input/output.
# - source_id = "<file>:<line>" (1-based line of the JSONL file).
# - problem_type = topic where the file has one (null in instructions.jsonl),
#   trailing spaces trimmed ("Counseling Fundamentals ") and spelled as
#   Counsel Chat's slugs, which drove the generation: lower case, " & " and
#   spaces → "-" ("Children & Adolescents" → "children-adolescents").
# - The one instruction in both files has different responses there: kept
#   as two conversations.
# - evalq_bench.csv (200 questions, no answers, a constant multi-line system
#   prompt) is an evaluation prompt set, not conversations: not included.

fetch "mentalchat16k_instructions" {
  url    = "https://raw.githubusercontent.com/ChiaPatricia/MentalChat16K_Synthetic_Data_Generation/f404d18ace04a319c48b3464a73b2cc05faa06b6/airoboros/instructions.jsonl"
  digest = "sha256:1583f6e5797a9327bef28107ed3d249dcc5ae071aa27805c52d32665666dbe64"
  format = "jsonl"
}

fetch "mentalchat16k_topics" {
  url    = "https://raw.githubusercontent.com/ChiaPatricia/MentalChat16K_Synthetic_Data_Generation/f404d18ace04a319c48b3464a73b2cc05faa06b6/airoboros/instructions_with_topics.jsonl"
  digest = "sha256:0d971827f39d38330724c65b4cb3403f1bc08dc867dcfa5d67a43ab6b1e79ec7"
  format = "jsonl"
}

select "mentalchat16k_instructions" {
  input = fetch.mentalchat16k_instructions
  keep  = ["source_id", "upstream", "problem_type", "turns"]
  derive = {
    source_id    = concat("instructions.jsonl:", tostring(row_number() + 1))
    upstream     = "ChiaPatricia/MentalChat16K_Synthetic_Data_Generation@f404d18ace04a319c48b3464a73b2cc05faa06b6:airoboros/instructions.jsonl"
    problem_type = cast(null, "string")
    turns = [
      { turn = 0, role = "user", text = trimspace(instruction), strategy = cast(null, "string") },
      { turn = 1, role = "assistant", text = trimspace(response), strategy = cast(null, "string") },
    ]
  }
}

select "mentalchat16k_topics" {
  input = fetch.mentalchat16k_topics
  keep  = ["source_id", "upstream", "problem_type", "turns"]
  derive = {
    source_id    = concat("instructions_with_topics.jsonl:", tostring(row_number() + 1))
    upstream     = "ChiaPatricia/MentalChat16K_Synthetic_Data_Generation@f404d18ace04a319c48b3464a73b2cc05faa06b6:airoboros/instructions_with_topics.jsonl"
    problem_type = replace(replace(lower(trimspace(topic)), " & ", "-"), " ", "-")
    turns = [
      { turn = 0, role = "user", text = trimspace(instruction), strategy = cast(null, "string") },
      { turn = 1, role = "assistant", text = trimspace(response), strategy = cast(null, "string") },
    ]
  }
}

union "mentalchat16k" {
  inputs = [select.mentalchat16k_instructions, select.mentalchat16k_topics]
}

select "mentalchat16k" {
  input = union.mentalchat16k
  keep  = ["conversation_id", "source", "source_id", "license", "upstream", "language", "category", "problem_type", "turns"]
  derive = {
    conversation_id = hash("mentalchat16k", source_id)
    source          = "mentalchat16k"
    license         = "unknown"
    language        = "en"
    category        = "counseling"
  }
}

output "corpus_mentalchat16k" {
  input = select.mentalchat16k
  path  = "out/corpora/mentalchat16k.parquet"
}
