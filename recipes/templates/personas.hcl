# Personas: who is speaking. A conversation draws one persona among those
# that list its problem type; the persona's slot values replace the
# library-wide ones (a pupil's people are parents, siblings and classmates,
# and their "workplace" is school), and a problem's own slot values replace
# both.

persona "teen" {
  age_band = "13-17"
  setting  = "school"
  problems = ["academic pressure", "problems with friends", "School Bullying", "conflict with parents",
  "Appearance Anxiety", "Sleep Problems", "Procrastination", "ongoing depression", "breakup with partner"]
  slots = {
    relationship  = ["mom", "dad", "older sister", "older brother", "best friend", "grandma", "aunt", "cousin"]
    workplace     = ["school"]
    place         = ["in my room", "on the bus home", "in the school bathroom", "on the couch", "at my desk"]
    private_place = ["in my room", "on the bus home", "in the school bathroom", "on a bench outside"]
    mirror_place  = ["in every mirror I pass", "in shop windows", "on my phone camera", "in the bathroom mirror"]
    home_place    = ["in my room", "on the couch", "in the kitchen", "on the back steps", "in bed"]
    clinician     = ["school counselor", "GP", "therapist", "doctor"]
    subject       = ["math", "chemistry", "my GCSEs", "history", "biology", "French", "physics"]
    ex            = ["girlfriend", "boyfriend"]
    activity      = ["playing football", "drawing", "gaming with friends", "playing guitar", "swimming", "reading", "running"]
    friend        = ["best friend", "closest friend", "friend from class", "oldest friend"]
  }
}

persona "student" {
  age_band = "18-24"
  setting  = "university"
  problems = ["academic pressure", "problems with friends", "breakup with partner", "conflict with parents",
  "Appearance Anxiety", "Sleep Problems", "Procrastination", "ongoing depression", "Alcohol Abuse"]
  slots = {
    relationship  = ["mom", "dad", "roommate", "best friend", "boyfriend", "girlfriend", "sister", "brother"]
    workplace     = ["uni", "college", "my part-time job"]
    place         = ["in my dorm room", "in the library", "on the bus home", "at my desk", "in my car"]
    home_place    = ["in my dorm room", "on my bed", "in the common room", "at my desk"]
    private_place = ["in my car", "in my dorm room", "on the bus home", "in a bathroom stall"]
    clinician     = ["campus counselor", "therapist", "GP", "doctor", "psychiatrist"]
    ex            = ["girlfriend", "boyfriend", "partner"]
  }
}

persona "young_adult" {
  age_band = "25-34"
  setting  = "work"
  problems = ["ongoing depression", "job crisis", "breakup with partner", "problems with friends", "conflict with parents",
  "Sleep Problems", "Procrastination", "Appearance Anxiety", "Alcohol Abuse", "Issues with Children", "Issues with Parents"]
  slots = {
    relationship = ["partner", "best friend", "sister", "brother", "mom", "dad", "roommate", "boyfriend", "girlfriend", "closest friend"]
    subject      = ["my night classes", "a certification exam", "my master's thesis", "the bar exam", "the medical boards", "accounting exams"]
    age          = ["three", "four", "six", "seven", "nine", "eleven", "twelve"]
  }
}

persona "midlife" {
  age_band = "35-54"
  setting  = "work"
  problems = ["ongoing depression", "job crisis", "breakup with partner", "problems with friends", "Sleep Problems",
  "Procrastination", "Appearance Anxiety", "Alcohol Abuse", "Issues with Children", "Issues with Parents"]
  slots = {
    relationship = ["partner", "husband", "wife", "sister", "brother", "best friend", "closest friend", "cousin"]
    ex           = ["partner", "husband", "wife", "fiance"]
  }
}

persona "older_adult" {
  age_band = "55-74"
  setting  = "home"
  problems = ["ongoing depression", "job crisis", "breakup with partner", "problems with friends", "Sleep Problems",
  "Alcohol Abuse", "Issues with Children", "Issues with Parents"]
  slots = {
    relationship = ["husband", "wife", "partner", "sister", "brother", "daughter", "son", "oldest friend"]
    workplace    = ["the shop where I work part-time", "the office", "the bank", "the hospital", "the school where I teach"]
    ex           = ["partner", "husband", "wife"]
    parent       = ["mother", "father", "mom", "dad"]
    age          = ["fifteen", "sixteen", "seventeen", "nineteen", "twenty"]
    child        = ["son", "daughter", "stepson", "stepdaughter"]
  }
}
