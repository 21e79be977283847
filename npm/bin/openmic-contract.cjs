#!/usr/bin/env node
"use strict";
require("./run.cjs").run("openmic-contract");
