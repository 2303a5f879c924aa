"""Every collective over 2 ranks (tests/distributed/workers/collectives.py): each dtype and
ReduceOp, shapes from 0-dim to empty, non-contiguous views as inputs and outputs, groups,
objects, point-to-point, and mismatched arguments raising ValueError on every rank."""


def test_collectives_two_ranks(ranks):
    r = ranks("collectives.py")
    assert r.returncode == 0, r
    assert r.stdout.count("COLLECTIVES OK") == 2, r


def test_world_of_one_without_mpiexec(single):
    r = single("single.py")
    assert r.returncode == 0, r
    assert "SINGLE OK" in r.stdout, r


def test_torchrun_variables_without_an_mpi_job_are_an_error(single):
    """RANK/WORLD_SIZE set by hand but no MPI job: a clear error, not a world of one."""
    r = single("env.py", env={"WORLD_SIZE": "2", "RANK": "1"})
    assert r.returncode != 0
    assert "WORLD_SIZE=2 in the environment, but MPI says" in r.stderr, r
