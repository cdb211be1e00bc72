fetch "c" {
  url = "https://example.org/c.csv"
}
