// The CommonJS declarations: `require` gets the same types.
import openmic = require("openmic-mock");

export async function consumer(): Promise<number> {
  const mock: openmic.MockServer = await openmic.startMock();
  const tenant: openmic.Tenant = await mock.tenant();
  const calls: openmic.Call[] = await tenant.calls();
  await tenant.delete();
  await mock.stop();
  return calls.length;
}
