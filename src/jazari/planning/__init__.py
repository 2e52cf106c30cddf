"""Pick-and-place planning: collision scene, grasps, Cartesian and joint-space motions,
time parameterisation and plan validation."""
