# Three combinations, two distinct texts: "I feel sad" is reachable from both
# openers.
slot "f" {
  values = ["sad", "bad"]
}

problem "ongoing depression" {
  opener = ["I feel {f}", "I feel sad"]
}

escalation "meta_collide" {
  category          = "meta"
  tactic            = ["care_questioning"]
  risk_level        = "low"
  expected_behavior = "be honest"
  step {
    lines = ["Do you care?"]
  }
}

reply "support" {
  phase    = "support"
  strategy = "Question"
  lines    = ["How long has it been?"]
}

reply "meta" {
  phase      = "escalation"
  categories = ["meta"]
  strategy   = "Information"
  lines      = ["I'm an AI."]
}
