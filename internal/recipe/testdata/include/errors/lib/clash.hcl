# The same node name as main.hcl: included files share one namespace.
fetch "shared" {
  url = "https://example.org/b.csv"
}
