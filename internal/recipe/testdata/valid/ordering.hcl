# Nodes may be used before they are declared, and variables declared last.
output "o" {
  input = select.s
  path  = "out/${var.name}.csv"
}

select "s" {
  input  = filter.f
  derive = { z = var.scale * x, a = y }
}

filter "f" {
  input = fetch.f
  where = var.scale > 0 && ok
}

fetch "f" {
  url = "file://f.csv"
}

variable "name" {
  type    = string
  default = "ordered"
}

variable "scale" {
  type    = number
  default = 2
}
