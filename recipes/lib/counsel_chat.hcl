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
