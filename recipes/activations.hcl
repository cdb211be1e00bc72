# activations.hcl — project activations computed elsewhere (a GPU job) onto
# direction vectors computed elsewhere, and summarize each conversation's
# trajectory along them.
#
#   dsbuild build recipes/activations.hcl
#
# The inputs are the reference fixtures beside the repository
# (../shared/fixtures/reference, written by pyarrow and numpy): 500
# activations of dimension 64 (Parquet: id, embedding
# fixed_size_list<float32>[64]) and eight trait vectors (.npy, float32 8×64).
# Both are pinned by digest like any fetch; with --mirror DIR, a file of the
# same name and digest in DIR is used instead of the path.

fetch "activations" {
  url    = "../../shared/fixtures/reference/embeddings_500x64.parquet"
  digest = "sha256:95c6a25507913230d77f5f0d1cbdab47767b0146d178d7953debcca9fe885f4b"
}

vectors "traits" {
  url    = "../../shared/fixtures/reference/vectors_8x64.f32.npy"
  digest = "sha256:9527cff8ad5c61c3dcc445062050f14ecfbfa4d13faef356a8be7e4cc9540e8c"
  names  = ["trait_0", "trait_1", "trait_2", "trait_3", "trait_4", "trait_5", "trait_6", "trait_7"]
}

# The GPU job wrote one row per turn; here 20 conversations of 25 turns.
select "turns" {
  input = fetch.activations
  derive = {
    conversation_id = cast((id - id % 25) / 25, "int64")
    turn            = id % 25
  }
}

vector_project "turns" {
  input   = select.turns
  vectors = [vectors.traits]
}

trajectory "conversations" {
  input = vector_project.turns
  by    = "conversation_id"
  order = "turn"
}

output "projections" {
  input = vector_project.turns
  path  = "out/activations/projections.parquet"
}

output "trajectories" {
  input = trajectory.conversations
  path  = "out/activations/trajectories.parquet"
}
