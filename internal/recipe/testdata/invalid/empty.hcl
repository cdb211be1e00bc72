# ERROR: Empty recipe
# Only a variable: nothing to build, which must not pass as a build.
variable "seed" {
  default = 1
}
