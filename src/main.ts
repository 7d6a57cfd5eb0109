// Process entry for `npm start`: serve with settings from the environment.
import { loadConfig } from "./config.js";
import { serve } from "./serve.js";

await serve(() => loadConfig());
