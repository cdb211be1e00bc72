slot "x" {
  values = "not a list" # ERROR: Expected a list of strings
}

problem "job crisis" {
  opener = ["hi"]
  colour = "blue" # ERROR: Unsupported argument
}

escalation "e" { # ERROR: Missing required argument
  category = "crisis"
  tactic   = ["t"]
  risk_level = "low"
  step {
    lines = ["go"]
  }
}

widget "w" { # ERROR: Unsupported block type
}
