/** The bundle's entry: run the CLI. */
import { cli } from './main.js';

cli();
