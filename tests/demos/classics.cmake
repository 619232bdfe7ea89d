# Tests of demos/classics (issue 17): ipcx_demo_test() lines, see CMakeLists.txt.
