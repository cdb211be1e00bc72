# daic_woz.hcl — DAIC-WOZ (Gratch et al., LREC 2014; USC ICT) normalized to
# the conversation schema (docs/conversation-schema.md), from a LICENSED
# LOCAL COPY. DAIC-WOZ is distributed only under USC ICT's end-user license
# agreement: nothing here downloads it. Its outputs (out/restricted/) and
# the store hold the data: keep them out of version control and out of
# places the agreement does not cover. See docs/restricted-corpora.md.
#
#   dsbuild build recipes/restricted/daic_woz.hcl \
#     -var 'daic_transcripts=/data/daic-woz/*_P/*_TRANSCRIPT.csv' \
#     -var 'daic_labels=/data/daic-woz/train_split_Depression_AVEC2017.csv'
#
# The fetches are local and unpinned: the first build pins the transcripts'
# `sha256sum` listing and the labels file's digest in the lock, and a later
# change of the copy rebuilds everything downstream (exit 3 under --locked).
#
# - One conversation per session (<id>_TRANSCRIPT.csv, tab-separated despite
#   the name: start_time, stop_time, speaker, value); source_id = the
#   participant id from the file name; rows in file (time) order.
# - Ellie (the virtual interviewer) → assistant, Participant → user; any
#   other speaker gives a null role (the tests reject it).
# - Consecutive rows of one speaker are merged into one turn, joined by a
#   space: the transcripts cut speech at pauses, so one answer spans several
#   rows; merging gives one turn per speaker change, as the schema's turns
#   mean. Row timings are not kept.
# - Rows whose value is empty or only a <sync>/<synch> marker are dropped
#   before merging; other annotations (<laughter>, xxx, scrubbed_entry) are
#   kept as written.
# - quality.phq8_score / phq8_binary joined from the labels file by
#   Participant_ID (the AVEC 2017 train/dev split files have these
#   columns); a session without a label (the test split) has null quality.
#   One labels file per build: concatenate train and dev, or build twice.

variable "daic_transcripts" {
  type        = string
  description = "glob of the licensed copy's transcripts, e.g. /data/daic-woz/*_P/*_TRANSCRIPT.csv"
}

variable "daic_labels" {
  type        = string
  description = "PHQ-8 labels CSV with Participant_ID, PHQ8_Binary, PHQ8_Score (e.g. train_split_Depression_AVEC2017.csv)"
}

fetch "daic_woz_transcripts" {
  url         = var.daic_transcripts
  format      = "tsv"
  schema      = { start_time = "float64", stop_time = "float64", speaker = "string", value = "string" }
  file_column = "file"
}

fetch "daic_woz_labels" {
  url    = var.daic_labels
  format = "csv"
  schema = { Participant_ID = "int64", PHQ8_Binary = "int32", PHQ8_Score = "int32" }
}

filter "daic_woz_utterances" {
  input = fetch.daic_woz_transcripts
  where = !in(trimspace(coalesce(value, "")), ["", "<sync>", "<synch>"])
}

# Each session as a list of its rows, in file order.
aggregate "daic_woz_sessions" {
  input = filter.daic_woz_utterances
  by = {
    participant = cast(regex_replace(file, "^(?:.*/)?([0-9]+)_TRANSCRIPT\\.csv$", "$1"), "int64")
    file        = file
  }
  agg = {
    # \u0001 and \u0002 are the turn markers below: never part of a value.
    rows = list({ speaker = trimspace(speaker), value = trimspace(regex_replace(value, "[\u0001\u0002]", "")) })
  }
  sort = true
}

# Merge runs of one speaker: each row is written after a separator, \u0001
# plus the speaker and \u0002 where the speaker changes (a new turn), a
# space otherwise; splitting the whole session at \u0001 gives the turns.
select "daic_woz_turns" {
  input = aggregate.daic_woz_sessions
  keep  = ["participant", "file", "runs"]
  derive = {
    runs = slice(split(join([for i, r in rows : concat(
      join([for p in slice(rows, i - 1, i) : p.speaker], "") == r.speaker && i > 0 ? " " : concat("\u0001", r.speaker, "\u0002"),
      r.value
    )], ""), "\u0001"), 1)
  }
}

join "daic_woz" {
  left  = select.daic_woz_turns
  right = fetch.daic_woz_labels
  on    = { participant = "Participant_ID" }
  how   = "left"
}

select "daic_woz" {
  input = join.daic_woz
  keep  = ["conversation_id", "source", "source_id", "license", "upstream", "language", "category", "quality", "turns"]
  derive = {
    source_id       = tostring(participant)
    conversation_id = hash("daic_woz", tostring(participant))
    source          = "daic_woz"
    license         = "LicenseRef-DAIC-WOZ-EULA"
    upstream        = concat("DAIC-WOZ licensed copy:", file)
    language        = "en"
    category        = "interview"
    quality         = is_null(PHQ8_Score) && is_null(PHQ8_Binary) ? null : { phq8_score = PHQ8_Score, phq8_binary = PHQ8_Binary }
    turns = [for i, run in runs : {
      turn     = i
      role     = regex_replace(run, "\u0002(?s:.*)$", "") == "Participant" ? "user" : regex_replace(run, "\u0002(?s:.*)$", "") == "Ellie" ? "assistant" : null
      text     = trimspace(regex_replace(run, "^[^\u0002]*\u0002", ""))
      strategy = cast(null, "string")
    }]
  }
}

output "corpus_daic_woz" {
  input = select.daic_woz
  path  = "out/restricted/daic_woz.parquet"
}
