variable "threshold" {
  default = 3
}

fetch "src" {
  url = "file://src.jsonl"
}
