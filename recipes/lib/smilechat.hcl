# smilechat.hcl — SMILECHAT (Qiu et al., Findings of EMNLP 2024), CC0 1.0,
# normalized to the conversation schema (docs/conversation-schema.md).
#
#   dsbuild build recipes/lib/smilechat.hcl     (standalone, from a checkout
#                                                beside ../shared)
#
# Upstream qiuhuachuan/smile@9f8afc0b… keeps one dialogue per file,
# data/<id>.json (55,165 files, ~466 MB). We hold the deterministic sample
# of ids 0-499 (492 files; ../shared/data/smilechat/SOURCE.md). A mirror
# resolves single files by name and digest, and a directory or glob fetch is
# local only, so this fetch is a local glob pinned by the digest of its
# `sha256sum` listing:
#   (cd ../shared/data/smilechat/data && sha256sum *.json | sort -k2) | sha256sum
# The path is relative to this file (the checkout's sibling ../shared).
# Each row's `upstream` names the exact upstream file at the pinned commit.
#
# - one conversation per file; source_id = the file's numeric id (the files
#   have no id field); rows come in numeric id order (the directory lists
#   0, 1, 10, 100, …);
# - role client → user, counselor → assistant (anything else would be null,
#   which the tests reject); `content` is the turn text, trimmed;
#   `annotation` (sentence splits whose label is always "") is dropped;
# - consecutive same-role turns (82, 157, 305, 456, 457.json) are kept as
#   separate turns, as upstream has them: they are separate messages;
# - language "zh"; category "counseling"; no split upstream.

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
      role     = u.role == "client" ? "user" : u.role == "counselor" ? "assistant" : null
      text     = trimspace(u.text)
      strategy = cast(null, "string")
    }]
  }
}

output "corpus_smilechat" {
  input = select.smilechat
  path  = "out/corpora/smilechat.parquet"
}
