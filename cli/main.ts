#!/usr/bin/env node
// The `tidepool` command (its commands: cli/program.ts).
import { tidepoolProgram } from './program.js';

await tidepoolProgram().parseAsync(process.argv);
