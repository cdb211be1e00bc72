# A cycle, a reference to an undeclared node and a duplicate name, all
# reported by one load.
fetch "src" {
  url = "file://src.jsonl"
}

select "b" {
  input = filter.a
}

filter "a" { # ERROR: Dependency cycle: filter.a → select.b → filter.a
  input = select.b
  where = ok
}

filter "c" {
  input = filter.nope # ERROR: Reference to undeclared node
  where = ok
}

fetch "src" { # ERROR: Duplicate node declaration
  url = "file://other.jsonl"
}
