variable "limit" {
  default = 3
}

fetch "a" {
  url = "file://a.csv"
}

fetch "b" {
  url = "file://b.csv"
}

filter "f" {
  input = fetch.a
  where = score < var.limt # ERROR: Reference to undeclared variable
}

filter "g" {
  input = fetch.a
  where = id == fetch.b.id # ERROR: Node reference in row expression
}

select "s" {
  input = filter.f
  derive = {
    x = a + 1
    x = b # ERROR: Duplicate column name
    y = filter.g # ERROR: Node reference in row expression
    (var.limit) = 1 # ERROR: Invalid column name
  }
}

select "t" {
  input  = filter.f
  derive = [a, b] # ERROR: Invalid row expression map
}
