slot "x" {
  values = ["a", "b"
} # ERROR: Missing item separator
