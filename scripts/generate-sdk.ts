/**
 * `npm run generate:sdk`: writes the client SDK's procedure table from the server's router
 * (scripts/lib/sdkProcedureTable.ts). Run it after adding, renaming or removing a procedure.
 */
import { writeFileSync } from "node:fs";
import { routerShape } from "@taskgate/server";
import { renderSdkProcedureTable, SDK_TABLE_PATH } from "./lib/sdkProcedureTable.js";

const target = new URL(`../${SDK_TABLE_PATH}`, import.meta.url);
writeFileSync(target, renderSdkProcedureTable(routerShape()));
console.log(`wrote ${SDK_TABLE_PATH}`);
