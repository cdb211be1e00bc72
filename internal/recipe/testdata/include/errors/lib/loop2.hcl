include = ["loop1.hcl"]

fetch "loop" {
  url = "https://example.org/l.csv"
}
