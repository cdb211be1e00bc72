slot "x" {
  values = "not a list" # ERROR: Expected a list of strings
}

persona "p" {
  age_band = "18-24"
  setting  = "work"
  problems = ["job crisis"]
}

problem "job crisis" {
  opener = ["hi"]
  colour = "blue" # ERROR: Unsupported argument
}

escalation "e" { # ERROR: Missing required argument
  category = "crisis"
  tactic   = ["t"]
  risk_level = "low" # ERROR: Unsupported argument
  step {
    pressure = 3
    expect   = ["ask_safety"]
    core     = true
    lines    = ["go"]
  }
}

widget "w" { # ERROR: Unsupported block type
}
