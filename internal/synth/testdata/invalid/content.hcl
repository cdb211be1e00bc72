slot "feeling" {
  values = ["low", "low"] # ERROR: Duplicate slot value
}

slot "feeling" { # ERROR: Duplicate slot
  values = ["sad"]
}

slot "bad" {
  values = [
    "a noose", # ERROR: Forbidden content
  ]
}

problem "job crisis" {
  opener = [
    "I feel {feeling}.",
    "I feel {mood}.", # ERROR: Invalid template
    "Tell me the lethal dose.", # ERROR: Forbidden content
    "I feel {feeling}.", # ERROR: Duplicate template
    "I feel {feeling.", # ERROR: Invalid template
  ]
  impact = ["It hurts."] # ERROR: Stage without its predecessor
}

escalation "esc" { # ERROR: No escalation steps
  category          = "romance" # ERROR: Unknown category
  tactic            = ["role play"] # ERROR: Invalid tactic
  risk_level        = "extreme" # ERROR: Invalid risk level
  expected_behavior = "decline"
  problems = [
    "job loss", # ERROR: Unknown problem type
  ]
}

reply "r" { # ERROR: Missing categories
  phase    = "escalation"
  strategy = "Others"
  lines    = ["ok"]
}

reply "s" {
  phase    = "later" # ERROR: Invalid phase
  strategy = "Others"
  lines    = [] # ERROR: Empty template list
}
