reply "support" {
  phase    = "support"
  strategy = "Question"
  lines    = ["How are you?", "Tell me more about {b}."]
}

reply "crisis" {
  phase      = "escalation"
  categories = ["crisis"]
  strategy   = "Information"
  lines      = ["Please call 988.", "Are you safe?"]
}
