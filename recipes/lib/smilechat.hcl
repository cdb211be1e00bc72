fetch "smilechat" {
  url         = "../../../shared/data/smilechat/data/*.json"
  digest      = "sha256:eb48c26d1acf104604b4b6699f2f01f6895c4af682dda4c91591829f14830c22"
  format      = "json"
  file_column = "file"
}

aggregate "smilechat" {
  input = fetch.smilechat
  by    = { dialogue = cast(regex_replace(file, "^(?:.*/)?([0-9]+)\\.json$", "$1"), "int64") }
  agg = {
    utterances = list({ role = role, text = content })
  }
  sort = true
}

select "smilechat" {
  input = aggregate.smilechat
  keep  = ["conversation_id", "source", "source_id", "license", "upstream", "language", "category", "turns"]
  derive = {
    source_id       = tostring(dialogue)
    conversation_id = hash("smilechat", tostring(dialogue))
    source          = "smilechat"
    license         = "CC0-1.0"
    upstream        = concat("qiuhuachuan/smile@9f8afc0b126049e0e8797d3719991e316dccd705:data/", tostring(dialogue), ".json")
    language        = "zh"
    category        = "counseling"
    turns = [for i, u in utterances : {
      turn     = i
      role     = u.role == "client" ? "user" : "assistant"
      text     = trimspace(u.text)
      strategy = cast(null, "string")
    }]
  }
}

output "corpus_smilechat" {
  input = select.smilechat
  path  = "out/corpora/smilechat.parquet"
}
