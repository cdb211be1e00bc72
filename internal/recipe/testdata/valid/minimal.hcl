fetch "a" {
  url = "file://data/a.jsonl"
}

output "a" {
  input = fetch.a
  path  = "out/a.jsonl"
}
