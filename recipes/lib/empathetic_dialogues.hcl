# recipes/lib/empathetic_dialogues.hcl — EmpatheticDialogues (Rashkin et al.,
# ACL 2019) in the conversation schema (docs/conversation-schema.md).
# CC BY-NC 4.0. The files are the valid and test splits as preprocessed by
# the SEEK authors (wlr737/EMNLP2022-SEEK, data/ED/); the train split is not
# held (../shared/data/empathetic_dialogues/SOURCE.md).
#
#   select.empathetic_dialogues   one row per distinct conversation
#                                 (valid 2,748 + test 2,534)
#
# Quirks handled: rows are utterances, and each conversation appears as
# several dialogue_ids of growing even length (one per listener turn): the
# utterances are gathered per dialogue_id (aggregate, in turn order) and the
# longest version per first utterance is kept (distinct; ties: the first
# dialogue_id in the file). source_id is that dialogue_id. Odd turns are the
# speaker sharing an emotion (user), even turns the listener (assistant).
# emotion is the conversation's label (dialogue_emotion) of its first
# utterance, which also repairs test dialogue 40433's malformed
# "surprisedacknowledging" on turn 4. Tokenization is undone where it is
# unambiguous: `_comma_` → ","; a space before . , ? ! removed; the clitics
# n't 's 're 'm 've 'll 'd joined to the word before; "$ 200" → "$200".
# Lower case, quotes and spaces around other symbols are left as they are.

fetch "empathetic_dialogues_valid" {
  url    = "https://raw.githubusercontent.com/wlr737/EMNLP2022-SEEK/2ca7ef1fd6f8acd65cac5275fe04db03c7029f8e/data/ED/valid.csv"
  digest = "sha256:330953fd0bbe594cbe05ea0aedad279442b4159215cade7e308715acaf5ec16a"
  format = "csv"
  schema = { c0 = "int64", dialogue_id = "int64", turns = "int64", text = "string", emotion = "string", dialogue_emotion = "string" }
}

fetch "empathetic_dialogues_test" {
  url    = "https://raw.githubusercontent.com/wlr737/EMNLP2022-SEEK/2ca7ef1fd6f8acd65cac5275fe04db03c7029f8e/data/ED/test.csv"
  digest = "sha256:a6bbae6c1d1a77bf8d1c71df4883df02910cad08c647ad6645b6b1fb31abc404"
  format = "csv"
  schema = { c0 = "int64", dialogue_id = "int64", turns = "int64", text = "string", emotion = "string", dialogue_emotion = "string" }
}

union "empathetic_dialogues_utterances" {
  inputs       = { valid = fetch.empathetic_dialogues_valid, test = fetch.empathetic_dialogues_test }
  label_column = "split"
}

select "empathetic_dialogues_detok" {
  input = union.empathetic_dialogues_utterances
  keep  = ["split", "dialogue_id", "turns", "text", "dialogue_emotion"]
  derive = {
    # Tokens are separated by single spaces: padding the text with a
    # space makes every clitic " 's " a whole token, so literal replaces
    # suffice (regex only for "$ <digit>", which has a literal prefix).
    text = trimspace(regex_replace(
      replace(replace(replace(replace(
        replace(replace(replace(replace(replace(replace(replace(
          concat(replace(text, "_comma_", ","), " "),
        " n't ", "n't "), " 's ", "'s "), " 're ", "'re "), " 'm ", "'m "), " 've ", "'ve "), " 'll ", "'ll "), " 'd ", "'d "),
      " .", "."), " ,", ","), " ?", "?"), " !", "!"),
    "(\\$) ([0-9])", "$1$2"))
  }
}

aggregate "empathetic_dialogues_versions" {
  input    = select.empathetic_dialogues_detok
  by       = [split, dialogue_id]
  order_by = [turns]
  agg = {
    first_text = first(text)
    emotion    = first(dialogue_emotion)
    length     = count()
    utterances = list({ turn = turns, text = text })
  }
}

distinct "empathetic_dialogues_longest" {
  input    = aggregate.empathetic_dialogues_versions
  by       = [split, first_text]
  order_by = 0 - length
}

select "empathetic_dialogues" {
  input = distinct.empathetic_dialogues_longest
  keep = ["conversation_id", "source", "source_id", "split", "license", "upstream", "language", "category",
  "emotion", "turns"]
  derive = {
    conversation_id = hash("empathetic_dialogues", tostring(dialogue_id))
    source          = "empathetic_dialogues"
    source_id       = tostring(dialogue_id)
    license         = "CC-BY-NC-4.0"
    upstream        = concat("wlr737/EMNLP2022-SEEK@2ca7ef1fd6f8acd65cac5275fe04db03c7029f8e:data/ED/", split, ".csv")
    language        = "en"
    category        = "emotional"
    turns = [for i, u in utterances : {
      turn     = i
      role     = u.turn % 2 == 1 ? "user" : "assistant"
      text     = u.text
      strategy = tostring(null)
    }]
  }
}

output "corpus_empathetic_dialogues" {
  input = select.empathetic_dialogues
  path  = "out/corpora/empathetic_dialogues.parquet"
}
