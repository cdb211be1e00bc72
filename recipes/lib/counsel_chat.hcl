# counsel_chat.hcl — Counsel Chat (Bertagnolli 2020), MIT (repository
# license; text scraped from counselchat.com, whose terms may also apply),
# normalized to the conversation schema (docs/conversation-schema.md).
#
#   dsbuild build recipes/lib/counsel_chat.hcl --mirror ../shared/data
#
# File: data/20200325_counsel_chat.csv, the one SOURCE.md calls the main
# file (the HF dataset mirrors it): plain-text answers, topic slugs, upvotes,
# an upstream split. Not the older counselchat-data.csv (HTML answers,
# base64 images, upvotes always 0) nor the lower-cased, truncated JSON.
#
# - One conversation per therapist answer (2,129), not one per question:
#   answers to one question differ in therapist and upvotes, and questionID
#   does not identify a question text (815 IDs, 818 titles, 824 texts), so
#   "the best answer per question" is not well defined. Select by
#   quality.upvotes downstream if one answer per question is wanted.
# - source_id = "<questionID>/<row>" (row = the unnamed pandas index column,
#   read as c0); the question part groups answers to one question.
# - turn 0 (user) = questionTitle + blank line + questionText; turn 1
#   (assistant) = answerText; both trimmed; embedded newlines (multi-line
#   quoted CSV fields) are kept. The scrape dropped paragraph breaks inside
#   answers ("…hun!Feelings…"); that cannot be undone unambiguously.
# - problem_type = topic (31 slugs); quality.upvotes = upvotes as int64
#   (numbers are strings in the CSV); split = train / valid / test (upstream
#   "val" spelled "valid" like the other corpora).

fetch "counsel_chat" {
  url    = "https://raw.githubusercontent.com/nbertagnolli/counsel-chat/e202e19c5002482f4f6631af754c276dd9adf7f2/data/20200325_counsel_chat.csv"
  digest = "sha256:c36fbce1c12271a17f3f355f6aaeb0b04987b217b53b600c5677985f15c9f1a8"
  format = "csv"
}

select "counsel_chat" {
  input = fetch.counsel_chat
  keep  = ["conversation_id", "source", "source_id", "split", "license", "upstream", "language", "category", "problem_type", "quality", "turns"]
  derive = {
    source_id       = concat(questionID, "/", c0)
    conversation_id = hash("counsel_chat", concat(questionID, "/", c0))
    source          = "counsel_chat"
    split           = split == "val" ? "valid" : split
    license         = "MIT"
    upstream        = "nbertagnolli/counsel-chat@e202e19c5002482f4f6631af754c276dd9adf7f2:data/20200325_counsel_chat.csv"
    language        = "en"
    category        = "counseling"
    problem_type    = trimspace(topic)
    quality         = { upvotes = cast(upvotes, "int64") }
    turns = [
      { turn = 0, role = "user", text = trimspace(concat(trimspace(questionTitle), "\n\n", trimspace(questionText))), strategy = cast(null, "string") },
      { turn = 1, role = "assistant", text = trimspace(answerText), strategy = cast(null, "string") },
    ]
  }
}

output "corpus_counsel_chat" {
  input = select.counsel_chat
  path  = "out/corpora/counsel_chat.parquet"
}
