/**
 * The README journey in TypeScript, type-checked in CI (`tsc --noEmit`): it compiles only
 * while the generated types still have what an integrator's code relies on, and the
 * `@ts-expect-error` lines fail the check if the types ever stop catching a mistake.
 */
import { AnxinProblem, createAnxin } from "../src/index";

export async function journey(baseUrl: string, apiKey: string): Promise<string> {
  const anxin = createAnxin(baseUrl, apiKey);
  const auth = await anxin.authorizations.create({
    template: "personal-loan",
    reference: "LOAN-2026-0042",
    subject: { name: "Li Si", id_type: "resident_id", id_number: "110105199001016201",
               mobile: "13900008620" },
  });
  const link: string = auth.signing_url;
  const status: "pending" | "active" | string = auth.status;

  const use = await anxin.authorizations.use(auth.id, {
    purpose: "loan_approval", data_item: "credit_report", reference: "Q-1",
    operator: "officer-7",
  }, "LOAN-2026-0042/Q-1");
  const remaining: number = use.uses_remaining;
  const receipt: string = use.receipt;

  try {
    await anxin.authorizations.use(auth.id, {
      purpose: "loan_approval", data_item: "credit_report", reference: "Q-2",
      operator: "officer-7",
    });
  } catch (e) {
    if (e instanceof AnxinProblem && e.code === "authorization_exhausted") {
      return `${link} ${status} ${remaining} ${receipt.length} ${e.status}`;
    }
    throw e;
  }

  const page = await anxin.events.list(undefined, 50);
  const first = page.events[0];
  const kinds: string[] = page.events.map((event) => event.event);
  const record = await anxin.authorizations.get(auth.id);
  const used: number = record.uses;

  // @ts-expect-error: the gate's body has no `amount` member
  await anxin.authorizations.use(auth.id, { purpose: "loan_approval", data_item: "credit_report", reference: "Q-3", operator: "o", amount: 1 });
  // @ts-expect-error: `reference` is required in a request
  await anxin.authorizations.create({ template: "personal-loan", subject: auth.subject });
  // @ts-expect-error: uses is a number, not a string
  const wrong: string = record.uses;

  return `${first?.cursor ?? ""} ${kinds.length} ${used} ${page.has_more} ${wrong}`;
}
