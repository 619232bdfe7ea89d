# Tests of demos/procs (issue 18): ipcx_demo_test() lines, see CMakeLists.txt.
