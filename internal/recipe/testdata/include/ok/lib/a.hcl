include = ["c.hcl"]

select "a" {
  input = fetch.c
  keep  = ["x"]
}
