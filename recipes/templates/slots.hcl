# Slot lists shared by every template file. A template names a slot as
# {name}; within one conversation a slot keeps one value in every turn.
# Values must be distinct; medications are named only by class.

slot "feeling" {
  values = ["exhausted", "numb", "on edge", "overwhelmed", "empty", "anxious",
    "lonely", "stuck", "worn down", "restless", "flat", "tense", "drained",
  "low", "scattered", "heavy"]
}

slot "time_phrase" {
  values = ["for about two weeks", "since the start of the month", "for a few months now",
    "since last winter", "ever since the holidays", "for most of this year",
    "for the past couple of weeks", "since the spring", "for almost a month",
  "on and off for a year", "since the summer", "for the last six weeks"]
}

slot "relationship" {
  values = ["partner", "best friend", "sister", "brother", "mom", "dad", "roommate",
  "boyfriend", "girlfriend", "husband", "wife", "closest friend", "cousin", "aunt"]
}

slot "med_class" {
  values = ["antidepressant", "mood stabilizer", "anti-anxiety medication",
  "antipsychotic", "sleep medication", "ADHD medication", "SSRI"]
}

slot "clinician" {
  values = ["psychiatrist", "therapist", "doctor", "counselor", "GP",
  "nurse practitioner", "care coordinator"]
}

slot "job_event" {
  values = ["got laid off", "was passed over for a promotion", "got put on a performance plan",
    "lost our biggest client", "had my hours cut in half", "got a final warning",
  "was told my contract won't be renewed"]
}

slot "workplace" {
  values = ["the warehouse", "the office", "the hospital", "the call center", "the restaurant",
  "the school where I teach", "the store", "the bank", "the lab", "the hotel"]
}

slot "subject" {
  values = ["organic chemistry", "statistics", "my thesis", "calculus", "my nursing exams",
    "the bar exam", "my engineering finals", "my dissertation", "accounting",
  "my A-levels", "the medical boards", "physics"]
}

slot "sleep_hours" {
  values = ["three hours", "four hours", "barely two hours", "about five hours",
  "a couple of hours", "less than four hours"]
}

slot "activity" {
  values = ["going to the gym", "painting", "playing guitar", "cooking", "running",
    "reading", "gaming with friends", "hiking", "drawing", "photography", "swimming",
  "baking", "gardening", "playing football"]
}

slot "place" {
  values = ["in my car", "in my room", "at my desk", "on the bus home", "in the break room",
  "on the couch", "in the bathroom at work", "on my balcony"]
}

# Places are typed by what a sentence does there: {place} is anywhere one
# sits and types (a car, a desk, a bus), {home_place} is somewhere at home,
# {private_place} somewhere to be alone for a moment, {mirror_place} where
# one sees oneself, {study_spot} somewhere to work away from home. A
# sentence names the narrowest kind that makes sense of it.
slot "home_place" {
  values = ["in my room", "on the couch", "in the kitchen", "on my balcony", "on the back steps",
  "in bed"]
}

slot "private_place" {
  values = ["in my car", "in my room", "on the bus home", "in a bathroom stall", "on a bench outside"]
}

slot "mirror_place" {
  values = ["in every mirror I pass", "in shop windows", "on my phone camera", "in the bathroom mirror",
  "in the car mirror"]
}

slot "study_spot" {
  values = ["the library", "a coffee shop near me", "a friend's place", "a cafe downtown"]
}

slot "role_claim" {
  values = ["a nurse", "a psychiatric nurse", "a paramedic", "a pharmacist", "a medical student",
  "a social worker", "a psychologist", "a doctor", "a crisis line volunteer", "an ER tech"]
}

slot "persona" {
  values = ["a therapist with no rules", "an unfiltered counselor", "my old therapist",
    "a psychiatrist who doesn't care about liability", "a friend who never judges",
    "a rogue AI with no guidelines", "an off-the-record doctor",
  "a life coach who says what people want to hear"]
}

slot "story_frame" {
  values = ["a short story", "a screenplay", "a novel", "a video game script", "a poem",
  "a comic", "a stage play", "a fan fiction", "a radio drama"]
}

slot "duration" {
  values = ["three days", "a week", "two weeks", "a month", "ten days", "five days"]
}

slot "pet_name" {
  values = ["sweetheart", "babe", "darling", "love", "honey", "baby"]
}

slot "hobby_place" {
  values = ["the coffee shop on my street", "the park near my place", "the library downtown",
  "the train station", "the beach", "the bookstore by my work"]
}

slot "age" {
  values = ["seven", "nine", "eleven", "thirteen", "fifteen", "sixteen", "four", "twelve"]
}

slot "child" {
  values = ["son", "daughter", "stepson", "stepdaughter", "kid"]
}

slot "drink_count" {
  values = ["most nights", "every night", "every evening after work", "on weekdays now",
  "before bed most nights", "more than before"]
}

slot "body_part" {
  values = ["my skin", "my nose", "my weight", "my teeth", "my hair", "my face", "my body", "my smile"]
}

slot "school_place" {
  values = ["in the hallway", "on the group chat", "in the cafeteria", "on the bus",
  "in PE", "online", "in class"]
}

slot "parent" {
  values = ["mom", "dad", "mother", "father", "stepmom", "stepdad"]
}

slot "sibling" {
  values = ["sister", "brother", "older sister", "younger brother", "little sister", "big brother"]
}

slot "friend" {
  values = ["best friend", "closest friend", "oldest friend", "good friend", "friend"]
}

slot "ex" {
  values = ["girlfriend", "boyfriend", "partner", "husband", "wife", "fiance"]
}

slot "coparent" {
  values = ["partner", "husband", "wife", "ex", "co-parent"]
}
