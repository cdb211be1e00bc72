fetch "a" {
  url = "file://a.csv"
}

filter "f" {
  input = fetch.a
  where = x < # ERROR: Invalid expression
}
