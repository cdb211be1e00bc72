fetch "a" {
  url = "https://example.org/a.json"
}

filter "x" {
  input = filter.y
  where = true
}

filter "y" {
  input = filter.x
  where = true
}

filter "z" {
  input = fetch.b
  where = true
}

filter "x" {
  input = fetch.a
  where = true
}
