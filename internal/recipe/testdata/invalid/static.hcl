variable "seed" {
  default = 1
}

fetch "a" {
  url    = ["file://a.csv"] # ERROR: Incorrect attribute value type
  format = fetch.b # ERROR: Invalid reference in static attribute
  digest = upper(sha) # ERROR: Invalid reference in static attribute
}

fetch "b" {
  url = "file://b.csv"
}

filter "f" {
  input  = fetch.a
  where  = ok
  strict = "yes" # ERROR: Incorrect attribute value type
}

select "s" {
  input  = filter.f
  keep   = ["a", ["b"]] # ERROR: Incorrect attribute value type
  rename = { a = "b", c = var.sed } # ERROR: Reference to undeclared variable
  drop   = [var] # ERROR: Invalid variable reference
}

mix "m" {
  sources = [fetch.a, fetch.b]
  seed    = var.seed + "x" # ERROR: Invalid operand
}

output "o" {
  input = select.s
  path  = null # ERROR: Missing required argument
}
