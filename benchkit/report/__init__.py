"""HTML report, charts, run comparison, SLO gates and JUnit output, all derived from run folders."""
