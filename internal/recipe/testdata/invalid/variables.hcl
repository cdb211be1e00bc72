variable "seed" { # ERROR: Empty recipe
  default = 1
}

variable "seed" { # ERROR: Duplicate variable declaration
  default = 2
}

variable "size" {
  type    = number
  default = "big" # ERROR: Invalid default value for variable
}

variable "shape" {
  type    = lizt(string) # ERROR: Invalid type specification
  default = ["a"]
}

variable "ref" {
  default = var.seed # ERROR: Variables not allowed
}

variable "needed" { # ERROR: No value for required variable
  type = string
}

variable "doc" {
  default     = 1
  description = ["not", "a", "string"] # ERROR: Incorrect attribute value type
}

dsbuild {
  version = 2 # ERROR: Unsupported recipe format version
}

dsbuild { # ERROR: Duplicate dsbuild block
  version = 1
}
