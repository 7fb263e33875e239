export async function ocdsRoutes() {}
