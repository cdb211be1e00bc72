# b reaches c again: a diamond, not a cycle; c is loaded once.
include = ["./c.hcl", "../lib/c.hcl"]

select "b" {
  input = select.a
  keep  = ["x"]
}
