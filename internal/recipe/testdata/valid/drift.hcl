# A recipe shaped like recipes/drift.hcl: fetch, filter, flatten, select,
# mix and outputs, with variables used by static attributes.
dsbuild {
  version = 1
}

variable "seed" {
  default     = 20261124
  description = "seed of every sampling step"
}

variable "revision" {
  type    = string
  default = "8bb3b3f"
}

fetch "esconv_failed" {
  url    = "https://raw.githubusercontent.com/thu-coai/Emotional-Support-Conversation/${var.revision}/FailedESConv.json"
  digest = "sha256:3f2a9c0e4b1d7e6f5a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f"
  format = "json"
}

fetch "esconv" {
  url = "https://raw.githubusercontent.com/thu-coai/Emotional-Support-Conversation/${var.revision}/ESConv.json"
}

filter "low_empathy" {
  input = fetch.esconv_failed
  where = tonumber(survey_score.seeker.empathy) < 3
}

filter "long" {
  input  = fetch.esconv
  where  = length(dialog) >= 10 && experience_type != "" && emotion_type == var.revision
  strict = true
}

flatten "turns" {
  input  = filter.long
  column = "dialog"
  index  = "turn"
}

select "shaped" {
  input  = flatten.turns
  keep   = ["conversation_id", "turn", "content"]
  drop   = []
  rename = { content = "text", speaker = "role" }
  derive = {
    role_is_user = speaker == "seeker"
    "text length" = length(content)
    # A column may share a kind's name when no such node exists.
    upper_text = upper(filter.text)
  }
}

mix "all" {
  sources = {
    failed = filter.low_empathy
    turns  = select.shaped
    again  = filter.low_empathy
  }
  seed = var.seed + 1
}

mix "pair" {
  sources = [fetch.esconv, fetch.esconv_failed]
}

output "failed" {
  input = filter.low_empathy
  path  = "out/failed.parquet"
}

output "all" {
  input  = mix.all
  path   = format("out/%s-%d.parquet", lower("ALL"), var.seed)
  format = "parquet"
}
