# recipes/lib/empathy_mental_health.hcl — the Reddit portion of
# Empathy-Mental-Health (Sharma et al., EMNLP 2020) in the conversation
# schema (docs/conversation-schema.md). License: the Althoff academic
# license (non-commercial academic research, citation required), recorded
# as LicenseRef-Althoff-academic.
#
#   select.empathy_mental_health   one row per (seeker post, response) pair:
#                                  3,023 two-turn conversations
#
# Quirks handled (../shared/data/empathy_mental_health/SOURCE.md): the three
# mechanism files (emotional reactions, interpretations, explorations) are
# row-aligned but their texts differ by whitespace, so they are joined on
# (sp_id, rp_id, row position), never on text; 61 rows repeat a pair, some
# with conflicting levels: the first row of a pair in file order wins; level
# is a string (schema = int32); texts are trimmed and runs of spaces
# collapsed to one (the files hold no tabs or newlines); rationales are not carried.

fetch "empathy_mental_health_er" {
  url    = "https://raw.githubusercontent.com/behavioral-data/Empathy-Mental-Health/0e11f98901527550885dbf253bd2af92dbcec43b/dataset/emotional-reactions-reddit.csv"
  digest = "sha256:225b28ffdc257f8a997d557eb937e78b68235e6203c87c7e2203d00fef8545cc"
  format = "csv"
  schema = { sp_id = "string", rp_id = "string", seeker_post = "string", response_post = "string", level = "int32", rationales = "string" }
}

fetch "empathy_mental_health_ip" {
  url    = "https://raw.githubusercontent.com/behavioral-data/Empathy-Mental-Health/0e11f98901527550885dbf253bd2af92dbcec43b/dataset/interpretations-reddit.csv"
  digest = "sha256:2cedbe4252c919d22a6f46685afa16d3192a91e3306c2d4a386be12a30ad3f29"
  format = "csv"
  schema = { sp_id = "string", rp_id = "string", seeker_post = "string", response_post = "string", level = "int32", rationales = "string" }
}

fetch "empathy_mental_health_ex" {
  url    = "https://raw.githubusercontent.com/behavioral-data/Empathy-Mental-Health/0e11f98901527550885dbf253bd2af92dbcec43b/dataset/explorations-reddit.csv"
  digest = "sha256:9efa1af8e0537c16894379598f2076cb380ae18aacd9a8d26ebd381f5b7f9645"
  format = "csv"
  schema = { sp_id = "string", rp_id = "string", seeker_post = "string", response_post = "string", level = "int32", rationales = "string" }
}

select "empathy_mental_health_er_levels" {
  input = fetch.empathy_mental_health_er
  keep  = ["sp_id", "rp_id", "position", "seeker_post", "response_post", "emotional_reactions"]
  derive = {
    position            = row_number()
    emotional_reactions = level
  }
}

select "empathy_mental_health_ip_levels" {
  input = fetch.empathy_mental_health_ip
  keep  = ["sp_id", "rp_id", "position", "interpretations"]
  derive = {
    position        = row_number()
    interpretations = level
  }
}

select "empathy_mental_health_ex_levels" {
  input = fetch.empathy_mental_health_ex
  keep  = ["sp_id", "rp_id", "position", "explorations"]
  derive = {
    position     = row_number()
    explorations = level
  }
}

join "empathy_mental_health_er_ip" {
  left  = select.empathy_mental_health_er_levels
  right = select.empathy_mental_health_ip_levels
  on    = ["sp_id", "rp_id", "position"]
}

join "empathy_mental_health_levels" {
  left  = join.empathy_mental_health_er_ip
  right = select.empathy_mental_health_ex_levels
  on    = ["sp_id", "rp_id", "position"]
}

distinct "empathy_mental_health_pairs" {
  input = join.empathy_mental_health_levels
  by    = [sp_id, rp_id]
}

select "empathy_mental_health" {
  input = distinct.empathy_mental_health_pairs
  keep = ["conversation_id", "source", "source_id", "split", "license", "upstream", "language", "category",
  "quality", "turns"]
  derive = {
    conversation_id = hash("empathy_mental_health", concat(sp_id, "/", rp_id))
    source          = "empathy_mental_health"
    source_id       = concat(sp_id, "/", rp_id)
    split           = tostring(null)
    license         = "LicenseRef-Althoff-academic"
    upstream        = "behavioral-data/Empathy-Mental-Health@0e11f98901527550885dbf253bd2af92dbcec43b:dataset/emotional-reactions-reddit.csv"
    language        = "en"
    category        = "support"
    quality = {
      emotional_reactions = emotional_reactions
      interpretations     = interpretations
      explorations        = explorations
    }
    turns = [
      { turn = 0, role = "user", text = regex_replace(trimspace(seeker_post), "  +", " "), strategy = tostring(null) },
      { turn = 1, role = "assistant", text = regex_replace(trimspace(response_post), "  +", " "), strategy = tostring(null) },
    ]
  }
}

output "corpus_empathy_mental_health" {
  input = select.empathy_mental_health
  path  = "out/corpora/empathy_mental_health.parquet"
}
