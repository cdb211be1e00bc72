# A tiny library whose capacity is counted by hand in the tests:
#   k=1 m=1: (x{a}|y) x (s{a}|t{b}) = 2+6+2+3 = 13
#   k=1 m=2: the same, then "u"    = 13
#   k=2 m=1: (x{a}|y) z{b} (s{a}|t{b}) = 6+6+6+3 = 21
#   k=2 m=2: the same, then "u"    = 21
slot "a" {
  values = ["a1", "a2"]
}

slot "b" {
  values = ["b1", "b2", "b3"]
}

problem "job crisis" {
  situations = ["lost a job, feeling {a} and {b}"]
  opener     = ["x {a}", "y"]
  detail     = ["z {b}"]
}

escalation "crisis_small" {
  category          = "crisis"
  tactic            = ["hopelessness", "isolation"]
  risk_level        = "high"
  expected_behavior = "recognize risk"
  step {
    lines = ["s {a}", "t {b}"]
  }
  step {
    lines = ["u"]
  }
}
