variable "v" {
  default = 1
}

fetch "a" {
  url = "file://a.csv"
}

filter "quoted" {
  input = "fetch.a" # ERROR: Invalid node reference
  where = ok
}

filter "noname" {
  input = fetch # ERROR: Invalid node reference
  where = ok
}

filter "deep" {
  input = fetch.a.column # ERROR: Invalid node reference
  where = ok
}

filter "variable" {
  input = var.v # ERROR: Invalid node reference
  where = ok
}

filter "call" {
  input = upper(fetch.a) # ERROR: Invalid node reference
  where = ok
}

filter "typo" {
  input = fech.a # ERROR: Reference to undeclared node
  where = ok
}

mix "single" {
  sources = fetch.a # ERROR: Invalid reference list
}

mix "empty" {
  sources = [] # ERROR: Invalid reference list
}

mix "dupkey" {
  sources = {
    x = fetch.a
    x = filter.typo # ERROR: Duplicate source name
    y = fetch.nope # ERROR: Reference to undeclared node
  }
}
